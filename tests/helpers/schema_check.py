#!/usr/bin/python3
"""Validate JSON documents against rdiag's schemas (docs/schemas/) with
Debian's python3-jsonschema; the schemas refer to each other by file name.

  schema_check.py SCHEMA_DIR --check-schemas
  schema_check.py SCHEMA_DIR SCHEMA FILE [--lines] [--invalid]

FILE is one JSON document, or with --lines one per line (JSON Lines).
--invalid: succeed only when every document is refused (negative cases).
"""
import json
import os
import sys

import jsonschema


def load(schema_dir):
    store = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".schema.json"):
            with open(os.path.join(schema_dir, name)) as f:
                store[name] = json.load(f)
    return store


def validator(store, name):
    schema = store[name]
    resolver = jsonschema.RefResolver(base_uri=name, referrer=schema,
                                      store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def main():
    store = load(sys.argv[1])
    if sys.argv[2] == "--check-schemas":
        for name, schema in store.items():
            jsonschema.Draft202012Validator.check_schema(schema)
            assert schema.get("$schema") == \
                "https://json-schema.org/draft/2020-12/schema", name
            assert schema.get("$id") == name, name
        print(" ".join(store))
        return 0
    name, path = sys.argv[2], sys.argv[3]
    lines = "--lines" in sys.argv[4:]
    invalid = "--invalid" in sys.argv[4:]
    with open(path) as f:
        docs = [json.loads(l) for l in f if l.strip()] if lines \
            else [json.load(f)]
    if not docs:
        print(f"{path}: no document", file=sys.stderr)
        return 1
    v = validator(store, name)
    bad = 0
    for i, doc in enumerate(docs):
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        if errors and not invalid:
            for e in errors[:3]:
                print(f"{path}[{i}] {list(e.path)}: {e.message}",
                      file=sys.stderr)
        if invalid and not errors:
            print(f"{path}[{i}]: accepted, should be refused",
                  file=sys.stderr)
        bad += bool(errors) != invalid
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
