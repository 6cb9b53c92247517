"""A fake WeChat for tests and the demo (``kefu wechat-sim``): api.weixin.qq.com and
qyapi.weixin.qq.com endpoints with WeChat's rules and error codes, and a person who
writes as a WeChat user (signed, encrypted callbacks POSTed to kefu). See docs/wechat.md.
"""
