import sys, time; sys.path.insert(0, "tests")
import realdata
from opslab.ingest.load import load
t=time.time()
r = load(("CDNOW_master.txt", realdata.cdnow_bytes()))
f=r.files[0]
print(time.time()-t, f.table, f.mapping, f.read.delimiter, f.read.has_header)
print(r.reconciliation())
print(r.problems_frame().to_string())
ds=r.dataset; print(ds.currency, ds.n_users, len(ds.orders), ds.orders.amount.sum())
