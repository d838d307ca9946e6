"""Secrets, configuration and permissions: Secrets Manager, SSM parameters, IAM roles."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_localstack.resources._aws import partition, policy_json
from pytest_localstack.resources._base import FactoryBase
from pytest_localstack.resources.records import IamRole, Secret, SsmParameter


class SecurityFactory(FactoryBase):
    """``make_secret``, ``make_ssm_parameter`` and ``make_iam_role``."""

    # -- Secrets Manager ----------------------------------------------------------------------

    def make_secret(
        self,
        value: str | bytes | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        **kwargs: Any,
    ) -> Secret:
        """Create a Secrets Manager secret; it is deleted without a recovery window.

        :param value: a string (``SecretString``), bytes (``SecretBinary``) or a dict (stored
            as JSON); a random string by default.
        :param name: the secret name; a unique one by default.
        :param kwargs: more ``CreateSecret`` arguments (``Description``, ``KmsKeyId``, ...).
        :returns: the secret's name, ARN and stored value.
        """
        name = name or self.unique_name("secretsmanager")
        if value is None:
            value = uuid.uuid4().hex
        elif isinstance(value, Mapping):
            value = json.dumps(value)
        if isinstance(value, bytes):
            kwargs["SecretBinary"] = value
        else:
            kwargs["SecretString"] = value
        secrets = self.client("secretsmanager")
        arn: str = secrets.create_secret(Name=name, **kwargs)["ARN"]
        secret = Secret(name=name, arn=arn, value=value)
        self.add_cleanup(
            f"secret {arn!r}",
            lambda: secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True),
            secret,
        )
        return secret

    # -- SSM Parameter Store ------------------------------------------------------------------

    def make_ssm_parameter(
        self,
        value: str | Sequence[str] | None = None,
        type: str | None = None,
        *,
        path: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> SsmParameter:
        """Create an SSM parameter.

        :param value: the value; a list makes a ``StringList``; a random string by default.
        :param type: ``String`` (default), ``StringList`` or ``SecureString``.
        :param path: a hierarchy such as ``/app/config`` to create the unique name under.
        :param name: the full parameter name; a unique one by default.
        :param kwargs: more ``PutParameter`` arguments (``Description``, ``Tier``, ...).
        :returns: the parameter's name, ARN, value, type and version.
        """
        if name is None:
            name = self.unique_name("ssm")
            if path is not None:
                if not path.startswith("/"):
                    raise ValueError(f"SSM parameter path {path!r} must start with '/'")
                name = f"{path.rstrip('/')}/{name}"
        if value is None:
            value = uuid.uuid4().hex
        if not isinstance(value, str):
            value = ",".join(value)
            type = type or "StringList"
        type = type or "String"
        ssm = self.client("ssm")
        version = int(ssm.put_parameter(Name=name, Value=value, Type=type, **kwargs)["Version"])
        region, account = self.session.region_name, self.session.account_id
        arn = f"arn:{partition(region)}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
        parameter = SsmParameter(name=name, arn=arn, value=value, type=type, version=version)
        self.add_cleanup(
            f"SSM parameter {name!r}", lambda: ssm.delete_parameter(Name=name), parameter
        )
        return parameter

    # -- IAM ----------------------------------------------------------------------------------

    def make_iam_role(
        self,
        assume_role_policy: Mapping[str, Any] | str | None = None,
        *,
        policy_arns: Sequence[str] = (),
        inline_policies: Mapping[str, Mapping[str, Any] | str] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> IamRole:
        """Create an IAM role, optionally with managed and inline policies.

        :param assume_role_policy: the trust policy (a dict or JSON); by default the session's
            own account may assume the role (``sts:AssumeRole`` for its root principal).
        :param policy_arns: managed policies to attach.
        :param inline_policies: inline policy name -> policy document.
        :param name: the role name; a unique one by default.
        :param kwargs: more ``CreateRole`` arguments (``Path``, ``Description``, ...).
        :returns: the role's name and ARN. At cleanup, every policy attached to the role (also
            by the test) is detached or deleted first.
        """
        name = name or self.unique_name("iam")
        if assume_role_policy is None:
            root = f"arn:{partition(self.session.region_name)}:iam::{self.session.account_id}:root"
            assume_role_policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}
                ],
            }
        iam = self.client("iam")
        arn: str = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=policy_json(assume_role_policy), **kwargs
        )["Role"]["Arn"]
        role = IamRole(name=name, arn=arn)
        self.add_cleanup(f"IAM role {name!r}", lambda: self._delete_role(name), role)
        for policy_arn in policy_arns:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_name, document in (inline_policies or {}).items():
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=policy_json(document)
            )
        return role

    def _delete_role(self, name: str) -> None:
        iam = self.client("iam")
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for policy in page["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
            for profile in page["InstanceProfiles"]:
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=name
                )
        iam.delete_role(RoleName=name)
