"""A PostgreSQL cluster with automatic failover (Patroni, etcd) for trying out and tests."""
