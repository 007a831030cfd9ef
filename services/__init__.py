"""lienthong: the inter-agency exchange for people who were trafficked (Liên thông)."""

__version__ = "0.1.0"
