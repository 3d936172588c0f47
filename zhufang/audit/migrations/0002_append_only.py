"""Database triggers that make the audit trail append-only (on SQLite and PostgreSQL alike):
content columns never change, a seal is set once, and rows are deleted only while a purge permit
row exists inside the retention purge's own transaction."""

from django.db import migrations

CONTENT_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "actor_unit_id",
    "ip",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "reason",
    "instruction_item_id",
)
TABLE = "audit_auditentry"
MESSAGE = "audit trail is append-only"

SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE OF {", ".join(CONTENT_COLUMNS)} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_seal_once BEFORE UPDATE OF seal ON {TABLE} WHEN OLD.seal IS NOT NULL
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE}
        WHEN NOT EXISTS (SELECT 1 FROM audit_purgepermit)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in ("audit_no_update", "audit_seal_once", "audit_no_delete")]

POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM audit_purgepermit) THEN RETURN OLD; END IF;
        RAISE EXCEPTION '{MESSAGE}';
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.seal IS NULL AND ROW({", ".join("NEW." + c for c in CONTENT_COLUMNS)})
         IS NOT DISTINCT FROM ROW({", ".join("OLD." + c for c in CONTENT_COLUMNS)}) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '{MESSAGE}';
    END $$""",
    f"""CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE}", "DROP FUNCTION IF EXISTS audit_append_only()"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}.get(vendor)
    if statements is None:
        raise RuntimeError(f"no append-only triggers for database vendor {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
