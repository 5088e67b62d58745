"""The Faust worker: agents that wire the stages and the sink to Kafka topics (``app.PipelineWorker``)."""
