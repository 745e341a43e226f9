"""Step Functions: start a run's execution, hand the review back to a waiting task, ask whether an
execution still runs."""

from __future__ import annotations

from pydantic import BaseModel

from .clients import client


def start_execution(state_machine_arn: str, name: str, execution_input: BaseModel) -> str | None:
    """Start an execution named ``name``; its ARN, or None when an execution of that name exists
    already (the name is the run id, so the run was started before)."""
    sfn = client("stepfunctions")
    try:
        started = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=execution_input.model_dump_json(exclude_none=True)
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return None
    return str(started["executionArn"])


def send_task_success(task_token: str, output: BaseModel) -> bool:
    """Give a waiting task its result; False when Step Functions no longer knows the token (the task
    timed out, was stopped, or an earlier attempt already delivered it). Other failures raise."""
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=task_token, output=output.model_dump_json())
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist, sfn.exceptions.InvalidToken):
        return False
    return True


def is_running(execution_arn: str | None) -> bool:
    """Whether the execution is still running (False when there is no execution to ask about)."""
    if not execution_arn:
        return False
    return client("stepfunctions").describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
