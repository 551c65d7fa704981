"""Local stand-ins for AWS: moto as the endpoint plus drivers that make services move."""
