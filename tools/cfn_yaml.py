"""The one CloudFormation YAML loader of the tools (tools/check_template.py,
tools/localcloud/resources.py and, through it, tools/localcloud/cloud.py).

It reads template.yaml with its short-form tags as the long form CloudFormation defines, so
a reader handles one form whichever the template uses: `!Ref X` is `{"Ref": "X"}`,
`!Condition C` is `{"Condition": "C"}`, `!GetAtt X.Arn` is `{"Fn::GetAtt": ["X", "Arn"]}`
and any other `!Name value` is `{"Fn::Name": value}`.

    sys.path.insert(0, <the tools directory>)
    import cfn_yaml
    template = cfn_yaml.load_template("template.yaml")

Needs PyYAML.
"""

import yaml


class Intrinsic(dict):
    """A short-form tag as its one-key long form, which also hands out the tag's argument
    (`value`) to readers that look for tags by type (cloud.py's event source mappings)."""

    @property
    def value(self):
        return next(iter(self.values()))


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short-form tags as their long form."""


def _construct_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return Intrinsic({suffix: value})
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return Intrinsic({"Fn::" + suffix: value})


CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)  # noqa: S506 (a SafeLoader subclass)
