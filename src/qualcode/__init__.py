"""qualcode: scriptable, reproducible, offline coding of qualitative interviews."""

__version__ = "0.1.0"
