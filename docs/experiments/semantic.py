"""Semantic-layer prototype (issue 10 item 8), kept to re-run the measurement in docs/search.md.

WordLlama l2_supercat_256 static embeddings, average-pooled, fused with the bot's BM25
candidates; prints right-first on the on-topic and ordinary questions of each set given.

    pip download wordllama --no-deps -d /tmp/wl && (cd /tmp/wl && mkdir x && cd x && unzip -q ../*.whl)
    pip install numpy tokenizers
    cargo build --release
    python3 docs/experiments/semantic.py tests/fixtures/answers-5.toml
"""
import json, re, struct, subprocess, sys, tomllib
import numpy as np
from tokenizers import Tokenizer
W = '/tmp/wl/x/wordllama/'
f = open(W + 'weights/l2_supercat_256.safetensors', 'rb'); n = struct.unpack('<Q', f.read(8))[0]; f.read(n)
E = np.frombuffer(f.read(), dtype=np.float16).reshape(32000, 256).astype(np.float32)
tok = Tokenizer.from_file(W + 'tokenizers/l2_supercat_tokenizer_config.json')
def embed(texts):
    out = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids or [0]
        v = E[ids].mean(0); out.append(v / (np.linalg.norm(v) + 1e-9))
    return np.array(out)
# sections from the guide
g = open('knowledge/lower-back.md').read()
parts = re.split(r'\n## ', g)
secs = {}
for p in parts[1:]:
    head = p.split('\n', 1)[0]; sid = re.search(r'\{#([\w-]+)', head).group(1); title = head.split(' {')[0]
    ex = re.findall(r'^- (.+)$', p.split('\n\n', 3)[2] if 'Examples:' in p else '', re.M)
    exs = [l[2:] for l in p.splitlines() if l.startswith('- ')][:14]
    secs[sid] = embed([title] + exs)
ov = re.search(r'examples = \[(.*?)\]', g, re.S).group(1)
secs['overview'] = embed(re.findall(r'"([^"]+)"', ov))
ids = list(secs)
def sem_scores(q):
    v = embed([q])[0]
    return {s: float(np.sort(secs[s] @ v)[-3:].mean()) for s in ids}
BIN = 'target/release/backcare'
def bot(q):
    o = subprocess.run([BIN, 'ask', '--json', '--explain', '--', q], capture_output=True, text=True)
    return json.loads(o.stdout.strip().splitlines()[-1])
def got_of(a):
    r = a['reply']
    if r in ('greeting', 'no_match', 'seek_care'): return r
    return 'overview' if r == 'overview' else (a.get('section') or {}).get('id')
ws = [0.0, 0.5, 1.0, 2.0, 3.0]
for path in sys.argv[1:]:
    qs = [q for q in tomllib.load(open(path, 'rb'))['question'] if q['kind'] in ('on_topic', 'ordinary')]
    right = {w: 0 for w in ws}; semonly = 0
    for q in qs:
        a = bot(q['text']); base = got_of(a); s = sem_scores(q['text'])
        semonly += max(s, key=s.get) == q['expect']
        because = (a.get('explain') or {}).get('because', {}).get('because')
        for w in ws:
            g2 = base
            if because in ('search', 'ask') and a['reply'] == 'answer':
                cands = {c['id']: c['score'] for c in a['explain']['candidates']}
                top = max(cands.values()) if cands else 1.0
                fused = {sid: cands.get(sid, 0.0) / top + w * (s[sid] - max(s.values())) for sid in ids if sid != 'overview'}
                g2 = max(fused, key=fused.get) if w > 0 else base
            right[w] += g2 == q['expect']
    print(path, len(qs), 'semantic only', semonly, ' '.join(f'w={w}:{right[w]}' for w in ws))
