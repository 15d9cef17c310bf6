"""Deployment aids kept beside the service (not part of the installed package)."""
