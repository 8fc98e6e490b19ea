"""repchat: the backend-for-frontend of an embeddable AI Representative chat."""

__version__ = "0.1.0"
