from opslab.ingest.read import read_table
rows = ["id,date,remark"] + [f"{i},2024-01-05,ok" for i in range(3)] + ['3,2024-01-05,"opens'] + [f"{i},2024-01-05,fine" for i in range(4, 500)] + ['500,2024-01-05,closes"', '501,2024-01-05,x']
r = read_table("\n".join(rows).encode(), "a.csv")
print(r.n_rows, [(p.code, p.params) for p in r.report])
r = read_table(b"sep=;\na;b\n1;2\n", "a.csv"); print(r.df, [(p.code) for p in r.report])
