"""The operator desk: cases from classified questions, drafts, four-eyes approval, audit, and the
operator API; approved answers leave on answers.approved.v1."""
