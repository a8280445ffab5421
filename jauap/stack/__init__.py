"""The local stack of real servers run as plain processes (docs/architecture.md, Local stack):
Apache Kafka in KRaft mode from Maven Central jars, FerretDB built from its Go module. No Docker needed."""
