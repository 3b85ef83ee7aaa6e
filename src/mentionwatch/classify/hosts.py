"""The top-level domains that make a bare host a link, for the spam rules and the spam model.

A bare domain ("claim-now.info", "youtube.com/@x") counts as a link only when it ends in one
of these, so "e.g." or "v2.1" are not links; with a scheme or "www." any host counts.
"""

from __future__ import annotations

#: A regular-expression alternation of the top-level domains spam and links use.
TLDS = (
    "com|net|org|info|biz|xyz|top|win|click|club|online|site|shop|store|live|vip|fun|icu|buzz|"
    "rest|cam|bid|loan|work|link|gq|tk|ml|cf|ga|cc|co|io|me|ly|gl|gd|at|to|uk|us|ca|au|de|fr|"
    "es|it|nl|eu|ru|cn|in|app|dev|tv|gg|ai|page|sbs|cfd|cyou|monster|lol|pw|su|ws|ng|za|ke|gh|"
    "pk|ph|sg|nz|ie|br|mx|jp|tr|pl|se|dk|fi|ch|pt|lc|academy|blog|tech|news|agency|digital|"
    "media|space|website|world|today|life|pro|tips|deals|guru|support|gift|ltd|help|claims|cash|"
    "money|finance|security|services|email|bet"
)
