"""The responder: posts approved answers to their channels, split and in order, exactly once per part."""
