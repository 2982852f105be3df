"""What the provider-client tests send: quick retries and timeouts, and a two-message prompt."""

from airlab.backends import Message

FAST = {"retry_base_s": 0.01, "retry_max_s": 0.05, "timeout_s": 5}
HELLO = [Message("system", "You write code."), Message("user", "Say hi.")]
