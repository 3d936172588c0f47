"""一标三实 registry: standard addresses, actual houses, actual population, establishments.

Every row carries its owning unit (the grid its address falls in, assigned by the locate service);
data scope reads only that column. Identifiers are encrypted with a blind index for exact search.
Nothing about ethnicity, religion or political status is stored (PIPL; DOMAIN §7).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope_spec import ScopedQuerySet, ScopeSpec
from zhufang.privacy.fields import BlindIndexField, EncryptedTextField

SCOPE = ScopeSpec(unit_field="owner_unit")


class StandardAddress(models.Model):
    """标准地址: an address structured down to the room (GA/T 2000.32, GB/T 39609)."""

    code = models.CharField(_("standard address code"), max_length=40, unique=True)
    admin_code = models.CharField(_("administrative division code"), max_length=12, blank=True)
    county = models.CharField(_("county"), max_length=30, blank=True)
    township = models.CharField(_("township/street"), max_length=40, blank=True)
    community = models.CharField(_("community/village"), max_length=40, blank=True)
    street = models.CharField(_("street/compound"), max_length=60, blank=True)
    house_number = models.CharField(_("door number"), max_length=16, blank=True)
    building = models.CharField(_("building"), max_length=16, blank=True)
    unit_no = models.CharField(_("entrance"), max_length=16, blank=True)
    floor = models.CharField(_("floor"), max_length=16, blank=True)
    room = models.CharField(_("room"), max_length=16, blank=True)
    #: every level joined by "|" after normalisation: the exact-match key (AddressParts.canonical)
    canonical = models.CharField(max_length=255, unique=True)
    full_text = models.CharField(_("address"), max_length=255)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    owner_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid")
    )
    #: the responsible station recorded in old data; only the jurisdiction-conflict report reads it
    recorded_station_code = models.CharField(_("recorded responsible station"), max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        verbose_name = _("standard address")
        verbose_name_plural = _("standard addresses")
        indexes = [models.Index(fields=["owner_unit", "street"], name="address_unit_street")]

    def __str__(self) -> str:
        return self.full_text


class HouseUse(models.TextChoices):
    SELF_OCCUPIED = "self_occupied", _("Self-occupied")
    RENTAL = "rental", _("Rental")
    VACANT = "vacant", _("Vacant")
    INSTITUTIONAL = "institutional", _("Institutional")
    BUSINESS = "business", _("Business")
    UNKNOWN = "unknown", _("Unknown")


class House(models.Model):
    """实有房屋: the dwelling or premises at one standard address. 群租 (group rental) is derived from
    configurable rules, never stored."""

    address = models.OneToOneField(StandardAddress, on_delete=models.PROTECT, related_name="house")
    use = models.CharField(_("use"), max_length=16, choices=HouseUse.choices, default=HouseUse.UNKNOWN)
    house_type = models.CharField(_("house type"), max_length=20, blank=True)
    area_m2 = models.FloatField(_("floor area (m²)"), null=True, blank=True)
    rooms = models.PositiveSmallIntegerField(_("rooms"), null=True, blank=True)
    owner_name = models.CharField(_("owner"), max_length=50, blank=True)
    owner_id_number = EncryptedTextField(_("owner ID number"), context="house.owner_id_number", null=True, blank=True)
    #: the owner's document: an ``IdType`` value, or "uscc" (统一社会信用代码) when a unit owns the house
    owner_id_type = models.CharField(_("owner document type"), max_length=20, blank=True, default="", db_default="")
    owner_id_index = BlindIndexField(null=True, blank=True)
    owner_phone = EncryptedTextField(_("owner phone"), context="house.owner_phone", null=True, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    #: 房屋编号 in the old system (imports); the natural key is the address
    legacy_number = models.CharField(_("record number in the old system"), max_length=30, blank=True)
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        indexes = [models.Index(fields=["owner_unit", "use"], name="house_unit_use")]

    def __str__(self) -> str:
        return f"{self.address_id} ({self.use})"


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Mainland travel permit for HK/Macao residents")
    TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID card")
    OTHER = "other", _("Other document")


class PersonCategory(models.TextChoices):
    REGISTERED = "registered", _("Registered resident")
    FLOATING = "floating", _("Floating population")
    OVERSEAS = "overseas", _("Overseas person")
    LODGER = "lodger", _("Lodger")
    UNREGISTERED = "unregistered", _("Not yet registered")


class Person(models.Model):
    """实有人口: a person living in the county. Sex and birth date are derived from a resident ID
    number and cross-checked. No ethnicity, religion or political status, ever."""

    name = models.CharField(_("name"), max_length=50)
    id_type = models.CharField(_("document type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = EncryptedTextField(_("document number"), context="person.id_number", null=True, blank=True)
    id_index = BlindIndexField(null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)  # GB/T 2261.1: 1 male, 2 female, 0/9 unknown
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = EncryptedTextField(_("phone"), context="person.phone", null=True, blank=True)
    phone_index = BlindIndexField(null=True, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=PersonCategory.choices)
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="residents")
    residence_since = models.DateField(_("living here since"), null=True, blank=True)
    registered_at = models.DateField(_("residence registration date"), null=True, blank=True)
    permit_expires = models.DateField(_("residence permit valid until"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=30, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    #: when the source system last updated the record (imports): stale-record detection reads it
    source_updated_at = models.DateField(_("last updated at source"), null=True, blank=True)
    legacy_number = models.CharField(_("record number in the old system"), max_length=30, blank=True)
    is_active = models.BooleanField(_("living here"), default=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["owner_unit", "category"], name="person_unit_category"),
            models.Index(fields=["name", "birth_date"], name="person_name_birth"),
        ]

    def __str__(self) -> str:
        return self.name


class Establishment(models.Model):
    """实有单位: a business or institution at an address (not an OrgUnit); key venues carry a trade."""

    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True)
    category = models.CharField(_("category"), max_length=30, blank=True)
    #: 行业类别 (住宿业, 零售 …); ``trade`` is the key-venue trade (重点行业) that sets its cadence
    industry = models.CharField(_("industry"), max_length=30, blank=True)
    trade = models.CharField(_("key trade"), max_length=30, blank=True, db_index=True)
    is_key_industry = models.BooleanField(_("key industry"), default=False)
    address = models.ForeignKey(StandardAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    legal_rep_name = models.CharField(_("legal representative"), max_length=50, blank=True)
    legal_rep_id_number = EncryptedTextField(
        _("legal representative's ID number"), context="establishment.legal_rep_id", null=True, blank=True
    )
    legal_rep_id_index = BlindIndexField(null=True, blank=True)
    security_contact = models.CharField(_("security contact"), max_length=50, blank=True)
    security_contact_phone = EncryptedTextField(
        _("security contact phone"), context="establishment.security_phone", null=True, blank=True
    )
    staff_count = models.PositiveIntegerField(_("staff"), null=True, blank=True)
    #: 单位编号 in the old system (imports)
    legacy_number = models.CharField(_("record number in the old system"), max_length=30, blank=True)
    is_active = models.BooleanField(default=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """导入批次: one import of one file (dry run or real), resumable from its last committed row."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(max_length=20, blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total_rows = models.PositiveIntegerField(default=0)
    last_committed_row = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    review = models.PositiveIntegerField(default=0)
    dropped_columns = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="owner_unit", self_fields=("actor",))

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"


class AddressReview(models.Model):
    """地址待核: free text whose best standard address matched below the confidence threshold."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("No such address")

    raw_text = models.CharField(max_length=255)
    suggestion = models.ForeignKey(StandardAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confidence = models.FloatField(default=0)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    row_number = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    resolved_address = models.ForeignKey(
        StandardAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.raw_text


class DuplicateKind(models.TextChoices):
    PERSON = "person", _("Person")
    ESTABLISHMENT = "establishment", _("Establishment")


class DuplicateCandidate(models.Model):
    """疑似重复: two registry records that may be the same person or unit, found by a rule
    (same document; same name + birth date + similar address; similar unit name at the same
    address) and settled by a reviewer — merged (the second into the first, history kept) or
    marked distinct. ``first_id``/``second_id`` are primary keys of the ``kind``'s model, first < second."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        MERGED = "merged", _("Merged")
        DISTINCT = "distinct", _("Not the same")

    kind = models.CharField(max_length=16, choices=DuplicateKind.choices)
    first_id = models.BigIntegerField()
    second_id = models.BigIntegerField()
    rule = models.CharField(_("rule"), max_length=30)
    score = models.FloatField(_("similarity"), default=1.0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kept_id = models.BigIntegerField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = SCOPE

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "first_id", "second_id"], name="duplicate_pair_once"),
            models.CheckConstraint(
                condition=models.Q(first_id__lt=models.F("second_id")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["owner_unit", "kind", "status"], name="duplicate_unit_kind_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.first_id}~{self.second_id} ({self.rule})"
