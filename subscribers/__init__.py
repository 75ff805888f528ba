"""The audience: subscribers, mailing lists, subscriptions and the tokens that act on them."""
