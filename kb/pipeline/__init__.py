"""The ingest pipeline and its proof: files in, records stored (`ingest`), records checked
against their sources (`verify`). `kb.api.KnowledgeBase` owns the lock and the store and
calls these; nothing here parses arguments or prints."""
