"""kefu.web.live: the WebSocket protocol (docs/protocol.md): frames, handshake, one
LiveConnection per socket. The route is web/ws.py; the brokers are kefu.realtime."""
