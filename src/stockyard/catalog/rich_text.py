"""Product descriptions are rich text typed by staff and shown on the storefront: only a small set of tags
survives (no scripts, styles, event handlers or javascript: links)."""

import nh3

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "a", "blockquote", "code"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_description(html: str) -> str:
    return nh3.clean(html.strip(), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener nofollow")
