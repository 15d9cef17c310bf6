"""``python -m deploy.ha up|status|down``: see ``deploy/ha/cluster.py``."""

from deploy.ha.cluster import main

raise SystemExit(main())
