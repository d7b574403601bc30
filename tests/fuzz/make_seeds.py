#!/usr/bin/env python3
"""Writes tests/fuzz/seeds/<target>/ from the recorded samples in
tests/fixtures. Run from anywhere: python3 tests/fuzz/make_seeds.py
The seeds are committed; the corpora libFuzzer grows from them are not."""
import hashlib, json, os, pathlib, shutil

FUZZ = pathlib.Path(__file__).resolve().parent
FIX = FUZZ.parent / "fixtures"
S = FIX / "samples"
OUT = FUZZ / "seeds"

KINDS = {"config": 0, "leader": 1, "members": 2, "history": 3, "status": 4,
         "optime": 5, "sync": 6, "failover": 7, "failsafe": 8, "initialize": 9}


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def pairs(path):
    lines = path.read_text().splitlines()
    return list(zip(lines[0::2], lines[1::2]))


def one_line_json(path):
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))


shutil.rmtree(OUT, ignore_errors=True)
etcd3 = pairs(S / "etcd-get-prefix-pg.txt")
etcd4 = pairs(S / "patroni-4.1.5" / "etcd-get-prefix-pg-v4.txt")

# dcs_value: <kind byte><value>
for k, v in etcd3 + etcd4:
    tail = k.split("/", 3)[3]
    kind = KINDS.get(tail.split("/")[0], 10)
    put("dcs_value", bytes([kind]) + v.encode())
put("dcs_value", bytes([7]))  # an empty failover
put("dcs_value", bytes([2]) + b'{"state":"run\\u001b]0;x\\u0007","tags":{"n\\u009b":1}}')

# dcs_key: <namespace byte><key>
for k, _ in etcd3 + etcd4:
    put("dcs_key", b"\x00" + k.encode())
put("dcs_key", b"\x00/pg/pg-test/members/a\xff\x1b[5m")
put("dcs_key", b"\xf4/svc/svc/pg/leader")

# rest_body: /patroni and /cluster bodies
for p in sorted(S.glob("**/*-patroni.json")) + sorted(S.glob("**/*cluster*.json")):
    put("rest_body", p.read_bytes())

# haproxy_stats: stats CSVs (trimmed to a few rows) and a haproxy.cfg
for p in sorted(S.glob("**/*stats*.csv")):
    put("haproxy_stats", "\n".join(p.read_text().splitlines()[:8]) + "\n")
put("haproxy_stats", "# pxname,svname,status,weight,act,bck,scur,check_status,check_desc,lastchg\n"
    "pg-test-primary,FRONTEND,OPEN,,,,0,,,\n"
    "pg-test-primary,pg-test-1,UP,100,1,0,0,L7OK,\"HTTP status check returned code <3C>200<3E>\",42\n"
    "pg-test-primary,pg-test-2,DOWN 1/2,100,0,1,0,L7STS,\"HTTP status check returned code <3C>503<3E>\",-1\n"
    "pg-test-primary,BACKEND,UP,100,1,1,0,,,42\n")
put("haproxy_stats", "global\n    maxconn 100\n\nlisten stats\n    mode http\n"
    "    bind *:7000\n    stats enable\n    stats uri /\n\nlisten master\n"
    "    bind 10.0.0.1:5000\n    option httpchk OPTIONS /primary\n"
    "    server n1 10.0.0.1:5432 check port 8008\n")

# patroni_yaml: <place byte><shape byte><file>; place 0xff plants nothing
for p in sorted((FIX / "config").glob("*.y*ml")):
    put("patroni_yaml", b"\xff\x00" + p.read_bytes())
    put("patroni_yaml", b"\x06\x0a" + p.read_bytes())
put("patroni_yaml", b"\x00\x00" + (S / "patronictl-show-config.yaml").read_bytes())

# settings_toml: <place byte><shape byte><file>
for p in sorted((FIX / "config").glob("*.toml")):
    put("settings_toml", b"\xff\x00" + p.read_bytes())
    put("settings_toml", b"\x00\x00" + p.read_bytes())
put("settings_toml", b"\x05\x00[haproxy.pg-test]\nports = { master = 5000 }\n"
    b"[clusters.pg-prod]\nread_only = true\n")

# dcs_url: <where the planted password goes><url>
put("dcs_url", b"\x0detcd3://root:@127.0.0.1:2379,[::1]:2379/pg")
put("dcs_url", b"\x00etcd3://127.0.0.1:2379/service/")

# console_render: a whole namespace with REST bodies and HAProxy stats
ns = "\n".join(f"{k}\n{v}" for k, v in etcd3)
rest = "".join(
    f"%rest /pg/pg-test/members/{m}\n{one_line_json(S / f)}\n"
    for m, f in [("pg-test-1", "patroni-leader-patroni.json"),
                 ("pg-test-2", "patroni-replica-patroni.json")])
csv = "\n".join(",".join(l.split(",")[:24])
                for l in (S / "haproxy-pg-test-1-stats.csv").read_text().splitlines()[:8])
put("console_render", f"{ns}\n{rest}%csv pg-test\n{csv}\n%end\n%ui \x01\x07\x09\n%op \x00\x01\n")
ns4 = "\n".join(f"{k}\n{v}" for k, v in etcd4)
put("console_render", f"{ns4}\n%next\n/pg/pg-test/leader\npg-test-2\n%stale\n%size 80 24\n")
put("console_render", "/pg/pg-test/members/evil\x1b[5m\n"
    '{"state":"run\\u001b]0;PWNED\\u0007","role":"replica","timeline":1,'
    '"conn_url":"postgres://10.0.0.9:5432/postgres","tags":{"n":"\\u202e"}}\n'
    "/pg/pg-test/leader\nevil\x1b[5m\n%cmd switchover evil at 2030-01-01T00:00:00Z\n")

# sql_lsn: LSN texts as PostgreSQL prints them
for t in ["0/3000000", "1/2A", "FFFFFFFF/FFFFFFFF", " 16/B374D848\n"]:
    put("sql_lsn", t)
