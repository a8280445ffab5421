"""One module per channel: parse and verify inbound, send outbound, the channel's limits.
Channels use schemas and nothing else of ours."""
