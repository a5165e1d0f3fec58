"""Real formats into contract record files: Florida's corporate data file (sunbiz.py), any
state's bulk CSV through a mapping (mapped.py), and FollowTheMoney entities (ftm.py).

Each importer reads its format and writes contract files (`filings.csv`, `officers.csv`, ...)
into a folder that `harborlight ingest` then loads. They never touch the warehouse: an
import can be checked, diffed and kept before anything is loaded.
"""
