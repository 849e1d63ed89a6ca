"""Generate the example shop's data: a SQLite database and application logs.

Deterministic: seeded Faker (zh_CN, en_US, de_DE, fr_FR) and a seeded RNG, timestamps relative
to a fixed date, so two runs produce byte-identical files. The data is fictitious; planted
violations match the comments in stack.yaml.

    python examples/shop/generate.py            # writes examples/shop/data and examples/shop/logs
    python examples/shop/generate.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    from faker import Faker
except ImportError:  # pragma: no cover - tells the user what to install
    sys.exit("generate.py needs Faker: pip install 'guardrail[examples]'")

from guardrail.errors import GuardrailError

SEED = 20260630
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)  # the data's "today"
HERE = Path(__file__).resolve().parent

N_CUSTOMERS = 2000
N_ORDERS = 8000
N_TICKETS = 1200
N_CONSENT = 6000
N_ANALYTICS = 20000
N_APP_LOG = 6000
N_ACCESS_LOG = 4000

LOCALES = [
    ("zh_CN", "CN", 0.50),
    ("en_US", "US-CA", 0.20),
    ("de_DE", "DE", 0.15),
    ("fr_FR", "FR", 0.15),
]

SCHEMA = """
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, gender TEXT, birth_date TEXT, phone TEXT,
  email TEXT, id_number TEXT, country TEXT NOT NULL, locale TEXT NOT NULL,
  marketing_opt_in INTEGER NOT NULL, created_at TEXT NOT NULL, last_active_at TEXT NOT NULL);
CREATE TABLE addresses (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), recipient TEXT,
  phone TEXT, province TEXT, city TEXT, district TEXT, street TEXT, postcode TEXT,
  country TEXT, is_default INTEGER NOT NULL);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, order_no TEXT NOT NULL UNIQUE,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  address_id INTEGER REFERENCES addresses(id), items INTEGER NOT NULL, total TEXT NOT NULL,
  currency TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), method TEXT NOT NULL,
  card_number TEXT, card_token TEXT, amount TEXT NOT NULL, currency TEXT NOT NULL,
  paid_at TEXT NOT NULL);
CREATE TABLE support_tickets (
  id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), channel TEXT NOT NULL,
  subject TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE consent_events (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
  purpose TEXT NOT NULL, action TEXT NOT NULL, notice_version TEXT NOT NULL,
  channel TEXT NOT NULL, separate_consent INTEGER NOT NULL, gpc INTEGER NOT NULL,
  occurred_at TEXT NOT NULL);
CREATE TABLE analytics_events (
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, customer_id INTEGER, client_ip INTEGER,
  event_type TEXT NOT NULL, page TEXT NOT NULL, province TEXT, occurred_at TEXT NOT NULL);
"""

CN_PROVINCES = ["广东省", "浙江省", "江苏省", "北京市", "上海市", "四川省", "湖北省", "福建省"]


def ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def luhn_complete(prefix_and_body: str) -> str:
    digits = [int(c) for c in prefix_and_body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


def unionpay(rng: random.Random) -> str:
    body = "62" + "".join(str(rng.randrange(10)) for _ in range(15))
    return luhn_complete(body)


def generate(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    fakers = {}
    for i, (loc, _, _) in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(SEED + i)
        fakers[loc] = f
    data_dir = out / "data"
    log_dir = out / "logs"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "shop.db"
    if db_path.exists():
        db_path.unlink()
    conn = sqlite3.connect(db_path)
    conn.executescript(SCHEMA)

    customers = []
    for cid in range(1, N_CUSTOMERS + 1):
        loc, country = rng.choices(
            [(lc, ct) for lc, ct, _ in LOCALES], weights=[w for _, _, w in LOCALES]
        )[0]
        fk = fakers[loc]
        created = AS_OF - timedelta(days=rng.randrange(30, 5 * 365))
        last_active = AS_OF - timedelta(days=rng.randrange(0, 700), minutes=rng.randrange(1440))
        last_active = max(last_active, created)
        birth = fk.date_of_birth(minimum_age=16, maximum_age=75)
        id_number = fk.ssn(min_age=16, max_age=75) if loc == "zh_CN" else None
        if id_number is not None:
            # keep the ID's birth date consistent with birth_date
            birth = datetime.strptime(id_number[6:14], "%Y%m%d").date()
        customers.append(
            (
                cid,
                fk.name(),
                rng.choice(["F", "M"]),
                birth.isoformat(),
                fk.phone_number(),
                fk.email(),
                id_number,
                country,
                loc,
                int(rng.random() < 0.55),
                ts(created),
                ts(last_active),
            )
        )
    conn.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", customers)

    addresses = []
    aid = 0
    cust_addresses: dict[int, list[int]] = {}
    for c in customers:
        fk = fakers[c[8]]
        for k in range(1 if rng.random() < 0.8 else 2):
            aid += 1
            if c[8] == "zh_CN":
                province = rng.choice(CN_PROVINCES)
                city = fk.city()
                district = fk.district() + "区"
                street = f"{province}{city}{district}{fk.street_address()}"
                postcode = fk.postcode()
            else:
                province = fk.state() if c[8] == "en_US" else fk.city()
                city = fk.city()
                district = None
                street = fk.street_address()
                postcode = fk.postcode()
            addresses.append(
                (
                    aid,
                    c[0],
                    c[1] if k == 0 else fk.name(),
                    c[4],
                    province,
                    city,
                    district,
                    street,
                    postcode,
                    c[7],
                    int(k == 0),
                )
            )
            cust_addresses.setdefault(c[0], []).append(aid)
    conn.executemany("INSERT INTO addresses VALUES (?,?,?,?,?,?,?,?,?,?,?)", addresses)

    orders = []
    payments = []
    for oid in range(1, N_ORDERS + 1):
        c = customers[rng.randrange(len(customers))]
        created = AS_OF - timedelta(
            days=rng.randrange(0, 3 * 365 - 60), seconds=rng.randrange(86400)
        )
        currency = {"zh_CN": "CNY", "en_US": "USD"}.get(c[8], "EUR")
        total = f"{rng.randrange(900, 250000) / 100:.2f}"
        order_no = f"SO{created:%Y%m%d}{oid:06d}"
        orders.append(
            (
                oid,
                order_no,
                c[0],
                rng.choice(cust_addresses[c[0]]),
                rng.randrange(1, 6),
                total,
                currency,
                rng.choice(["paid", "shipped", "delivered", "delivered", "refunded"]),
                ts(created),
            )
        )
        method = (
            rng.choice(["card", "card", "alipay", "wechat"])
            if c[8] == "zh_CN"
            else rng.choice(["card", "card", "paypal"])
        )
        card = None
        token = None
        if method == "card":
            # Planted violation: the full card number is stored next to its token.
            card = (
                unionpay(rng)
                if c[8] == "zh_CN"
                else fakers[c[8]].credit_card_number(card_type=rng.choice(["visa16", "mastercard"]))
            )
            token = f"tok_{rng.getrandbits(64):016x}"
        payments.append(
            (
                oid,
                oid,
                method,
                card,
                token,
                total,
                currency,
                ts(created + timedelta(minutes=rng.randrange(1, 30))),
            )
        )
    conn.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?)", orders)
    conn.executemany("INSERT INTO payments VALUES (?,?,?,?,?,?,?,?)", payments)

    tickets = []
    subjects_zh = ["订单未收到", "申请退款", "修改收货地址", "发票问题", "商品质量问题"]
    subjects_en = [
        "Order not received",
        "Refund request",
        "Change delivery address",
        "Invoice question",
        "Damaged item",
    ]
    for tid in range(1, N_TICKETS + 1):
        c = customers[rng.randrange(len(customers))]
        fk = fakers[c[8]]
        created = AS_OF - timedelta(days=rng.randrange(0, 3 * 365), seconds=rng.randrange(86400))
        if c[8] == "zh_CN":
            subject = rng.choice(subjects_zh)
            body = f"您好，我的订单一直没有更新。{fk.sentence()}"
            roll = rng.random()
            if roll < 0.25:
                body += f"请联系我的手机{c[4]}，谢谢。"
            elif roll < 0.35:
                body += f"实名信息：身份证号{c[6]}。"
            elif roll < 0.45:
                body += f"邮箱{c[5]}。"
        else:
            subject = rng.choice(subjects_en)
            body = f"Hello, {fk.sentence()}"
            roll = rng.random()
            if roll < 0.2:
                body += f" You can reach me at {c[4]}."
            elif roll < 0.3:
                body += f" Please reply to {c[5]}."
        tickets.append(
            (
                tid,
                c[0],
                rng.choice(["web", "app", "email", "phone"]),
                subject,
                body,
                rng.choice(["open", "closed", "closed"]),
                ts(created),
            )
        )
    conn.executemany("INSERT INTO support_tickets VALUES (?,?,?,?,?,?,?)", tickets)

    consents = []
    purposes = ["marketing", "analytics", "cross_border_transfer", "sensitive_pi"]
    for eid in range(1, N_CONSENT + 1):
        c = customers[rng.randrange(len(customers))]
        when = AS_OF - timedelta(days=rng.randrange(0, 4 * 365), seconds=rng.randrange(86400))
        purpose = rng.choice(purposes)
        action = rng.choices(["given", "refused", "withdrawn"], weights=[70, 15, 15])[0]
        consents.append(
            (
                eid,
                c[0],
                purpose,
                action,
                rng.choice(["2024-01", "2025-02", "2026-03"]),
                rng.choice(["web", "app", "mini-program"]),
                int(purpose in ("cross_border_transfer", "sensitive_pi") and rng.random() < 0.7),
                int(c[8] == "en_US" and rng.random() < 0.12),
                ts(when),
            )
        )
    conn.executemany("INSERT INTO consent_events VALUES (?,?,?,?,?,?,?,?,?)", consents)

    events = []
    for eid in range(1, N_ANALYTICS + 1):
        c = customers[rng.randrange(len(customers))] if rng.random() < 0.6 else None
        when = AS_OF - timedelta(days=rng.randrange(0, 4 * 365), seconds=rng.randrange(86400))
        ip_int = rng.randrange(0x01000000, 0xDF000000)  # integer-encoded IPv4
        events.append(
            (
                eid,
                f"dev-{rng.getrandbits(48):012x}",
                c[0] if c else None,
                ip_int,
                rng.choice(["page_view", "add_to_cart", "search", "checkout"]),
                rng.choice(["/", "/p/silk-scarf", "/p/tea-set", "/cart", "/search"]),
                rng.choice(CN_PROVINCES) if c and c[8] == "zh_CN" else None,
                ts(when),
            )
        )
    conn.executemany("INSERT INTO analytics_events VALUES (?,?,?,?,?,?,?,?)", events)
    conn.commit()
    conn.execute("VACUUM")
    conn.close()

    # Application log: mostly clean, with planted personal data (phones, e-mails).
    lines = []
    t = AS_OF - timedelta(days=20)
    for _ in range(N_APP_LOG):
        t += timedelta(seconds=rng.randrange(1, 300))
        c = customers[rng.randrange(len(customers))]
        o = orders[rng.randrange(len(orders))]
        roll = rng.random()
        if roll < 0.03:
            lines.append(
                f"{t:%Y-%m-%dT%H:%M:%SZ} WARN  sms-gateway send failed "
                f"phone={c[4]} template=ORDER_SHIPPED"
            )
        elif roll < 0.05:
            lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ} DEBUG auth login attempt email={c[5]} ok=true")
        elif roll < 0.06:
            lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ} ERROR mailer bounce for <{c[5]}>: mailbox full")
        else:
            lines.append(
                f"{t:%Y-%m-%dT%H:%M:%SZ} INFO  order-service order={o[1]} "
                f"customer_id={o[2]} total={o[5]} {o[6]} status={o[7]} "
                f"latency_ms={rng.randrange(3, 900)}"
            )
    (log_dir / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")

    access = []
    t = AS_OF - timedelta(days=3)
    for _ in range(N_ACCESS_LOG):
        t += timedelta(seconds=rng.randrange(1, 60))
        ip = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        access.append(
            f'{ip} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "GET '
            f'{rng.choice(["/", "/p/silk-scarf", "/cart", "/search?q=tea"])} HTTP/1.1" '
            f"{rng.choice([200, 200, 200, 304, 404])} {rng.randrange(200, 90000)}"
        )
    (log_dir / "access.log").write_text("\n".join(access) + "\n", encoding="utf-8")
    return {
        "customers": len(customers),
        "addresses": len(addresses),
        "orders": len(orders),
        "payments": len(payments),
        "support_tickets": len(tickets),
        "consent_events": len(consents),
        "analytics_events": len(events),
        "app.log lines": len(lines),
        "access.log lines": len(access),
    }


def generate_playbooks(out: Path) -> int:
    """Pre-generate the incident playbook library the manifest points at (audit controls
    C32-C34 check it); skipped when the folder holds no manifest."""
    manifest = out / "stack.yaml"
    if not manifest.is_file():
        return 0
    from guardrail.audit.manifest import load_stack
    from guardrail.playbook import generate_library

    loaded = load_stack(manifest)
    ir = loaded.stack.incident_response
    folder = out / (ir.playbooks if ir and ir.playbooks else "playbooks")
    return len(generate_library(loaded.stack, folder, at=AS_OF, stack_sha256=loaded.sha256))


def generate_consent(out: Path) -> int:
    """Load the consent history (consent_events) into a consent registry, keyed by a fresh
    keyring: data/consent/consent.db and data/consent/keyring.json (mode 0600)."""
    from guardrail.consent import ConsentRegistry, import_events, load_mapping
    from guardrail.crypto import Keyring

    folder = out / "data" / "consent"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("consent.db", "consent.db-wal", "consent.db-shm", "keyring.json"):
        (folder / name).unlink(missing_ok=True)
    keyring = Keyring.generate(at=AS_OF)
    keyring.save(folder / "keyring.json")
    catalog = HERE.parent / "consent" / "shop-catalog.yaml"
    mapping = load_mapping(HERE.parent / "consent" / "shop-mapping.yaml")
    with ConsentRegistry(
        f"sqlite:///{folder / 'consent.db'}", keyring=keyring, catalog=catalog, clock=lambda: AS_OF
    ) as registry:
        result = import_events(registry, str(out / "data" / "shop.db"), mapping)
    return result.recorded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE,
        help="folder to write data/ and logs/ into (default: this example)",
    )
    args = parser.parse_args(argv)
    try:
        counts = generate(args.out)
        counts["consent registry events"] = generate_consent(args.out)
        playbooks = generate_playbooks(args.out)
    except GuardrailError as exc:
        # The example needs its siblings (examples/consent): run it from the repository.
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        f"wrote {args.out / 'data' / 'shop.db'} and {args.out / 'logs'}: "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + (f"; {playbooks} playbook files" if playbooks else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
