"""template.yaml as data: CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...) read as {"Tag": value}.
The resource-creating script (dev_resources.py) and the template checks (check_template.py) both read the
template through here."""
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags as {"Tag": value}."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


def load_template():
    with open(os.path.join(HERE, "..", "template.yaml")) as f:
        return yaml.load(f, Loader=CfnLoader)
