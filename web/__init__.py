"""The Flask operator panel and JSON API. Composes pipeline/ and broadcast/; holds no business rules."""
