"""mentionwatch: find the negative posts about your brand that nobody has answered yet."""

__version__ = "0.1.0"
