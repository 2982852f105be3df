"""What plug-in authors and airlab's own tests share: a fake LLM server that speaks the OpenAI and
Anthropic wire formats on 127.0.0.1, and conformance suites every plug-in must pass."""
