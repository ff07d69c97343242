#!/usr/bin/python3
# Managed by Salt — changes will be overwritten.
"""Look-only checks of nova's cells for the one-shot tasks: exit 0 when true, 1 when not
(or when the API database has no schema yet or cannot be reached). Reads the database URLs
from nova.conf and the cell mappings; prints nothing of them (they hold the password).

Usage: nova-cells CONF cell-present NAME   a cell of that name is mapped (cell0's name: cell0)
       nova-cells CONF hosts-mapped        every compute node of every cell is mapped to its
                                           cell (what 'nova-manage cell_v2 discover_hosts'
                                           would otherwise do)
"""

import argparse
import configparser
import sys

import sqlalchemy

CELL0_UUID = "00000000-0000-0000-0000-000000000000"


def _engine(url: str) -> sqlalchemy.engine.Engine:
    return sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)


def _cells(api_url: str) -> list[tuple[str, str, str]]:
    """(uuid, name, database_connection) of every mapped cell."""
    query = sqlalchemy.text("SELECT uuid, name, database_connection FROM cell_mappings")
    engine = _engine(api_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


def cell_present(api_url: str, name: str) -> bool:
    return any(n == name for _uuid, n, _url in _cells(api_url))


def hosts_mapped(api_url: str) -> bool:
    query = sqlalchemy.text("SELECT COUNT(*) FROM compute_nodes WHERE mapped = 0 AND deleted = 0")
    for uuid, _name, url in _cells(api_url):
        if uuid == CELL0_UUID:
            continue  # cell0 holds no compute node
        engine = _engine(url)
        try:
            with engine.connect() as conn:
                if conn.execute(query).scalar():
                    return False
        finally:
            engine.dispose()
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nova-cells", description=__doc__.split("\n")[0])
    parser.add_argument("conf")
    sub = parser.add_subparsers(dest="check", required=True)
    sub.add_parser("cell-present").add_argument("name")
    sub.add_parser("hosts-mapped")
    args = parser.parse_args(argv)
    conf = configparser.RawConfigParser(strict=False)
    conf.read(args.conf)
    api_url = conf.get("api_database", "connection")
    try:
        if args.check == "cell-present":
            return 0 if cell_present(api_url, args.name) else 1
        return 0 if hosts_mapped(api_url) else 1
    except sqlalchemy.exc.SQLAlchemyError:
        return 1  # no schema yet, or unreachable: the task runs (and reports why it fails)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
