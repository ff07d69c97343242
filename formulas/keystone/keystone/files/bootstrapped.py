#!/usr/bin/python3
# Managed by Salt — changes will be overwritten.
"""Exit 0 when keystone is bootstrapped: the admin user and project exist in the default
domain and the user has a role on the project. Reads the database URL from keystone.conf;
prints nothing (the URL holds the password).

Usage: keystone-bootstrapped KEYSTONE_CONF ADMIN_USER ADMIN_PROJECT
"""

import configparser
import sys

import sqlalchemy


def main(conf: str, user: str, project: str) -> int:
    parser = configparser.RawConfigParser(strict=False)
    parser.read(conf)
    url = parser.get("database", "connection")
    query = sqlalchemy.text(
        "SELECT COUNT(*) FROM local_user lu"
        " JOIN assignment a ON a.actor_id = lu.user_id AND a.type = 'UserProject'"
        " JOIN project p ON p.id = a.target_id"
        " WHERE lu.name = :user AND lu.domain_id = 'default'"
        " AND p.name = :project AND p.domain_id = 'default'"
    )
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            count = conn.execute(query, {"user": user, "project": project}).scalar()
    except sqlalchemy.exc.SQLAlchemyError:
        return 1  # no schema yet, or no database: not bootstrapped
    return 0 if count else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
