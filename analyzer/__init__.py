"""Post-incident audit-log analyzer for payment platforms.

The library never imports the UI: the CLI (`analyzer.cli`) and the dashboard
(`dashboards/`) are thin layers over it.
"""

__version__ = "0.1.0"
