"""kefu 客服: self-hosted customer service for Chinese digital-goods marketplaces."""

__version__ = "0.1.0"
