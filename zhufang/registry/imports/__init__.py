"""Bulk import of the county's spreadsheets (CSV or Excel, UTF-8 or GBK): dry run first, a row-level
Chinese error report, upsert by natural keys, one transaction per chunk, resumable."""
