#!/usr/bin/env python3
"""Regenerates schemas/*.json: JSON Schemas of the Stripe objects stripe-sim returns, for the pinned API version.

Stripe publishes its OpenAPI spec in github.com/stripe/openapi; the full spec3.json is too big to keep, so the
schemas are rebuilt from two artifacts Stripe generates from that spec:

- which fields an object always carries: the keys of its example in the repository's openapi/fixtures3.json
  (the example objects stripe-mock serves; expandable/includable fields such as a session's `line_items` are
  absent there, as they are from the required list);
- each field's type and whether it may be null: the type hints of the official `stripe` Python library built
  from the same spec, pinned to the product's API version (stripe==15.6.2 pins 2026-08-26.dahlia).

Run (needs a checkout of stripe/openapi and the pinned library):
    python make_schemas.py /path/to/fixtures3.json  [writes schemas/ beside this file]
"""

import json
import pathlib
import sys
import types
import typing

import stripe
from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject

# object name in fixtures3.json -> (library class, output file)
RESOURCES = {
    "checkout.session": ("stripe.checkout.Session", "checkout.session.json"),
    "item": ("stripe.LineItem", "item.json"),
    "event": ("stripe.Event", "event.json"),
    "payment_intent": ("stripe.PaymentIntent", "payment_intent.json"),
    "charge": ("stripe.Charge", "charge.json"),
    "refund": ("stripe.Refund", "refund.json"),
    "subscription": ("stripe.Subscription", "subscription.json"),
    "invoice": ("stripe.Invoice", "invoice.json"),
    "customer": ("stripe.Customer", "customer.json"),
}
MAX_DEPTH = 3


def resolve(path):
    obj = stripe
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def fields(cls):
    out = {}
    for klass in reversed(cls.__mro__):
        for name, ann in getattr(klass, "__annotations__", {}).items():
            if name.isupper() or name.startswith("_") or typing.get_origin(ann) is typing.ClassVar:
                continue
            out[name] = ann
    return out


def type_schema(ann, example, depth):
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Union or origin is types.UnionType:
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        schemas = [type_schema(a, example, depth) for a in rest]
        kinds = []
        merged = {}
        for s in schemas:
            t = s.get("type")
            for k in t if isinstance(t, list) else [t] if t else []:
                if k not in kinds:
                    kinds.append(k)
            for key in ("properties", "required", "items", "additionalProperties"):
                if key in s:
                    merged[key] = s[key]
        if any("const" in s for s in schemas) and kinds == ["string"] and len(schemas) == 1:
            # A nullable single-value literal is that value or null (a bare `const` would refuse null).
            merged["enum" if nullable else "const"] = (
                [schemas[0]["const"], None] if nullable else schemas[0]["const"])
        if nullable:
            kinds.append("null")
        if kinds:
            merged["type"] = kinds if len(kinds) > 1 else kinds[0]
        return merged
    if origin is typing.Literal:
        return {"type": "string", "const": args[0]} if len(args) == 1 else {"type": "string", "enum": list(args)}
    if origin is list:
        item = example[0] if isinstance(example, list) and example else None
        return {"type": "array", "items": type_schema(args[0], item, depth) if args else {}}
    if origin is dict:
        return {"type": "object"}
    if isinstance(ann, typing.ForwardRef):
        return {"type": "object"}  # an expanded object
    if ann is str:
        return {"type": "string"}
    if ann is bool:
        return {"type": "boolean"}
    if ann is int:
        return {"type": "integer"}
    if ann is float:
        return {"type": "number"}
    if isinstance(ann, type) and issubclass(ann, ListObject) or origin is ListObject:
        return {"type": "object"}
    if isinstance(ann, type) and issubclass(ann, StripeObject):
        if ann.__name__ == "UntypedStripeObject" or depth >= MAX_DEPTH:
            return {"type": "object"}
        return object_schema(ann, example if isinstance(example, dict) else None, depth + 1)
    if origin is not None and isinstance(origin, type) and issubclass(origin, StripeObject):
        return {"type": "object"}
    return {}


def object_schema(cls, example, depth):
    props = fields(cls)
    schema = {"type": "object", "properties": {k: type_schema(v, (example or {}).get(k), depth) for k, v in props.items()}}
    if example is not None:
        schema["required"] = sorted(k for k in example if k in props)
    return schema


def main():
    fixtures = json.loads(pathlib.Path(sys.argv[1]).read_text())["resources"]
    out = pathlib.Path(__file__).with_name("schemas")
    out.mkdir(exist_ok=True)
    for name, (path, filename) in RESOURCES.items():
        schema = object_schema(resolve(path), fixtures[name], 0)
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": name,
            "$comment": (
                f"Generated by make_schemas.py for Stripe API {stripe._api_version._ApiVersion.CURRENT}: required keys "
                f"from stripe/openapi openapi/fixtures3.json ({sys.argv[2] if len(sys.argv) > 2 else 'unknown commit'}), "
                f"types and nullability from stripe-python {stripe.VERSION}."
            ),
            **schema,
        }
        (out / filename).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"{filename}: {len(schema.get('required', []))} required of {len(schema['properties'])} properties")


if __name__ == "__main__":
    main()
