"""The Kubernetes host formula's pure logic: certificates (``pki``) and model checks."""
