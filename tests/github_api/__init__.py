"""A local GitHub REST API stand-in that checks requests against GitHub's own OpenAPI
description (npm `@octokit/openapi`, installed on first use by install.py)."""
