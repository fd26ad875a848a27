"""The agent assist API, one module a concern: who may call it (auth), the handoff queue and
its state machine (handoffs), suggestions and driver lookups (suggestions), the lead's numbers
(analytics), a driver's export and erasure (privacy), the console's static files (console), and staff reads of drivers' conversations
(conversations). server/assist_channel.py mounts their routes as a Rasa input channel."""
