"""The security suite: each test reproduces a finding of issue 13 and shows it fixed."""
