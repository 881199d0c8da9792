"""mammostudio: a desktop workbench for mammography research."""

__version__ = "0.1.0"
