"""lienthong.infra."""
