#!/usr/bin/python3
# Managed by Salt — changes will be overwritten.
"""Exit 0 when a database's schema is at the head of its Alembic migrations, 1 when it is
not (or has no schema yet, or cannot be reached). Reads the database URL from the service's
config file and prints nothing of it (the URL holds the password). The same file is in the
placement, nova and neutron formulas (a unit test keeps the copies equal).

Usage: db-current CONF SECTION (--script-location DIR | --head-file FILE...)
                  [--database-suffix SUFFIX]

  --script-location  an Alembic script directory: its heads are the target
  --head-file        a file holding one head revision (neutron's EXPAND_HEAD, CONTRACT_HEAD)
  --database-suffix  appended to the database name (nova's cell0: _cell0)
"""

import argparse
import configparser
import sys

import sqlalchemy
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url


def target_heads(args: argparse.Namespace) -> set[str]:
    if args.script_location:
        config = Config()
        config.set_main_option("script_location", args.script_location)
        return set(ScriptDirectory.from_config(config).get_heads())
    heads = set()
    for path in args.head_file:
        with open(path, encoding="utf-8") as handle:
            heads.add(handle.read().strip())
    return heads


def current_heads(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="db-current", description=__doc__.split("\n")[0])
    parser.add_argument("conf")
    parser.add_argument("section")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--script-location")
    where.add_argument("--head-file", action="append")
    parser.add_argument("--database-suffix", default="")
    args = parser.parse_args(argv)
    conf = configparser.RawConfigParser(strict=False)
    conf.read(args.conf)
    url = make_url(conf.get(args.section, "connection"))
    if args.database_suffix:
        url = url.set(database=url.database + args.database_suffix)
    try:
        current = current_heads(url)
    except sqlalchemy.exc.SQLAlchemyError:
        return 1  # no database, or unreachable: not current
    return 0 if current and current == target_heads(args) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
