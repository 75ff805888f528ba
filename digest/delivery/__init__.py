"""Delivery: MIME messages, the outbox of delivery rows, and the transports that carry bytes."""
