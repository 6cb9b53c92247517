"""WeChat channels: 企业微信 微信客服 (WeCom kf) and the Official Account (公众号).

The protocol parts live here (signatures and 安全模式, callback XML, the HTTP API with its
error codes, access tokens); the use cases that store messages and send answers live in
``actions/wechat_*.py``. See docs/wechat.md.
"""
