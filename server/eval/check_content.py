#!/usr/bin/env python3
"""Validate knowledge_base.json and the two evaluation sets, ai_eval.jsonl (tuning)
and ai_heldout.jsonl (held out), kept apart (run from any directory)."""
import json, os, re, sys
from collections import Counter
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOWED = {"h2", "h3", "p", "ul", "ol", "li", "strong", "em", "a", "code"}
errors = []
def err(msg): errors.append(msg)

class Checker(HTMLParser):
    def __init__(self, where):
        super().__init__(convert_charrefs=False)
        self.where, self.stack, self.text, self.h2, self.links = where, [], [], 0, []
    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED: err(f"{self.where}: disallowed tag <{tag}>")
        for k, v in attrs:
            if not (tag == "a" and k == "href"): err(f"{self.where}: disallowed attribute {k} on <{tag}>")
            elif not v.startswith("/"): err(f"{self.where}: non-relative href {v}")
            else: self.links.append(v)
        if tag == "h2": self.h2 += 1
        self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag: err(f"{self.where}: unbalanced </{tag}>")
        else: self.stack.pop()
    def handle_data(self, d):
        if self.stack == []and d.strip(): err(f"{self.where}: text outside block: {d[:30]!r}")
        self.text.append(d)

def check_html(html, where):
    if re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;)", html): err(f"{where}: raw & (use &amp;)")
    if re.search(r"as mentioned|see above|see below|mentioned above", html, re.I): err(f"{where}: cross-reference phrase")
    c = Checker(where); c.feed(html); c.close()
    if c.stack: err(f"{where}: unclosed tags {c.stack}")
    if not html.startswith("<p>"): err(f"{where}: must start with an intro <p>")
    words = len(" ".join(c.text).split())
    return words, c.h2, c.links

# ---------- knowledge base ----------
kb = json.load(open(os.path.join(HERE, "..", "seed", "knowledge_base.json"), encoding="utf-8"))
assert set(kb) == {"collections"}
arts = {}   # slug -> (article, collection slug, category slug)
for col in kb["collections"]:
    for cat in col["categories"]:
        for a in cat["articles"]:
            if a["slug"] in arts: err(f"duplicate slug {a['slug']}")
            arts[a["slug"]] = (a, col["slug"], cat["slug"])
public = {s: v for s, v in arts.items() if not v[0]["internal"]}
internal = {s: v for s, v in arts.items() if v[0]["internal"]}
help_col = next(c for c in kb["collections"] if c["slug"] == "help")
if not 5 <= len(help_col["categories"]) <= 6: err("help center needs 5-6 categories")
if not 22 <= len(public) <= 26: err(f"public articles: {len(public)} (want 22-26)")
if len(internal) != 3: err(f"internal articles: {len(internal)} (want 3)")
for s, (a, col, cat) in arts.items():
    if (col == "internal") != a["internal"]: err(f"{s}: internal flag doesn't match collection")
    if set(a) != {"slug", "title", "summary", "internal", "body_html", "translations"}: err(f"{s}: keys {sorted(a)}")
    if len(a["summary"]) > 155: err(f"{s}: summary {len(a['summary'])} chars")
    words, h2, links = check_html(a["body_html"], s)
    a["_words"] = words
    if not 150 <= words <= 400: err(f"{s}: {words} words (want 150-400)")
    if not 2 <= h2 <= 4: err(f"{s}: {h2} <h2> sections (want 2-4)")
    if not a["internal"] and re.search(r"[$€£]\s?\d|\d\s?(USD|EUR|CAD)\b", a["body_html"]): err(f"{s}: public article mentions an amount")
    for l in links + [l for t in a["translations"] for l in re.findall(r'href="([^"]+)"', t["body_html"])]:
        m = re.fullmatch(r"/help/([a-z-]+)/([a-z0-9-]+)", l)
        if m and (m.group(2) not in public or public[m.group(2)][2] != m.group(1)): err(f"{s}: broken help link {l}")
    for t in a["translations"]:
        if set(t) != {"locale", "title", "summary", "body_html"}: err(f"{s}/{t.get('locale')}: translation keys")
        if len(t["summary"]) > 155: err(f"{s}/{t['locale']}: summary {len(t['summary'])} chars")
        tw, th2, _ = check_html(t["body_html"], f"{s}/{t['locale']}")
        if th2 != h2: err(f"{s}/{t['locale']}: {th2} h2 vs {h2} in source")
want_tr = {"track-your-order": {"de", "fr"}, "return-an-item": {"de"}, "reset-your-password": {"es"}}
have_tr = {s: {t["locale"] for t in v[0]["translations"]} for s, v in arts.items() if v[0]["translations"]}
if have_tr != want_tr: err(f"translations {have_tr} != {want_tr}")

# ---------- eval sets ----------
TAGS = {"innocent_mention", "negation", "third_party", "quoted", "hypothetical", "other_sense",
        "sarcasm", "typo", "rambling", "multilingual", "explicit"}
LANGS = {"de", "fr", "es"}

def check_set(name, min_base):
    rows, ids = [], set()
    for n, line in enumerate(open(os.path.join(HERE, name), encoding="utf-8"), 1):
        try: r = json.loads(line)
        except Exception as e: err(f"{name} line {n}: bad JSON {e}"); continue
        rows.append(r)
        if r.get("id") in ids: err(f"{name}: duplicate id {r.get('id')}")
        ids.add(r.get("id"))
        e = r.get("expect")
        keys = {"answer": {"id", "text", "expect", "article"}, "escalate": {"id", "text", "expect", "reason"}, "handoff": {"id", "text", "expect"}}.get(e)
        if keys is None: err(f"{r.get('id')}: bad expect {e}"); continue
        if set(r) - {"lang", "tags"} != keys: err(f"{r['id']}: keys {sorted(r)}")
        if "lang" in r and r["lang"] not in LANGS: err(f"{r['id']}: bad lang {r['lang']}")
        if not set(r.get("tags", [])) <= TAGS: err(f"{r['id']}: unknown tags {sorted(set(r['tags']) - TAGS)}")
        if "innocent_mention" in r.get("tags", []) and e == "escalate": err(f"{r['id']}: an innocent mention is never an escalation")
        if not r["text"].strip(): err(f"{r['id']}: empty text")
        if e == "answer":
            if r["article"] not in public: err(f"{r['id']}: article {r['article']} missing or not public")
            if "lang" in r and r["lang"] not in have_tr.get(r["article"], set()): err(f"{r['id']}: no {r['lang']} translation of {r['article']}")
        if e == "escalate" and r["reason"] not in {"refund", "pricing", "legal", "human_request", "negative_sentiment"}: err(f"{r['id']}: bad reason")
        if name == "ai_eval.jsonl" and e == "escalate" and r["reason"] == "negative_sentiment" and "lang" not in r and re.search(r"refund|money|price|cost|lawyer|attorney|legal|sue\b|human|person|agent|manager", r["text"], re.I):
            err(f"{r['id']}: negative_sentiment text contains another trigger keyword")
    texts = Counter(r["text"].strip().lower() for r in rows)
    for t, c in texts.items():
        if c > 1: err(f"{name}: duplicate text: {t[:40]!r}")
    base = [r for r in rows if "lang" not in r]
    per_article = Counter(r["article"] for r in base if r["expect"] == "answer")
    for s in public:
        if per_article[s] < 3: err(f"{name}: {s}: only {per_article[s]} questions")
    if len(base) < min_base: err(f"{name}: only {len(base)} lines without lang (want >= {min_base})")
    return rows

rows = check_set("ai_eval.jsonl", 320)
held = check_set("ai_heldout.jsonl", 380)
# The sets are kept apart: no message is in both.
shared = {r["text"].strip().lower() for r in rows} & {r["text"].strip().lower() for r in held}
for t in sorted(shared): err(f"in both sets: {t[:60]!r}")
base = [r for r in rows if "lang" not in r]
per_article = Counter(r["article"] for r in base if r["expect"] == "answer")

# ---------- report ----------
print(f"KB: {len(public)} public articles in {len(help_col['categories'])} categories, {len(internal)} internal; "
      f"words min/max {min(v[0]['_words'] for v in arts.values())}/{max(v[0]['_words'] for v in arts.values())}; "
      f"translations {sum(len(v) for v in have_tr.values())}")
print(f"Held-out: {len(held)} lines, by expect {dict(Counter(r['expect'] for r in held))}")
print(f"Eval: {len(rows)} lines ({len(base)} + {len(rows)-len(base)} lang)")
print("  by expect:", dict(Counter(r["expect"] for r in base)))
print("  escalate by reason:", dict(Counter(r["reason"] for r in base if r["expect"] == "escalate")))
print("  lang lines:", dict(Counter(r["lang"] for r in rows if "lang" in r)))
print(f"  answer questions per article: min {min(per_article[s] for s in public)}, max {max(per_article[s] for s in public)}")
if errors:
    print(f"\n{len(errors)} problem(s):"); [print("  -", e) for e in errors]; sys.exit(1)
print("OK: no problems found")
