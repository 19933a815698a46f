"""Durable background tasks on taskiq: declared once, sent from endpoints, run by workers, retried, scheduled.

`Tasks()` uses the memory backend (tasks run in the application's process); `vivace.tasks.redis` has the Redis
backend for `vivace worker` processes. Guide: docs/guide/durable-tasks.md.
"""

from vivace._backends import BackendUnavailable
from vivace.tasks._backend import DeadLetter, TaskBackend, TaskStore
from vivace.tasks._declare import Task, TaskCall
from vivace.tasks._errors import TaskArgumentsError, TaskDeclarationError, TaskFailed, TasksNotStarted
from vivace.tasks._execute import TaskInfo, current_task
from vivace.tasks._handle import TaskHandle
from vivace.tasks._memory import MemoryTaskBackend, TaskQueueFull
from vivace.tasks._policy import RetryPolicy
from vivace.tasks._tasks import Tasks, installed_tasks

__all__ = [
    "BackendUnavailable",
    "DeadLetter",
    "MemoryTaskBackend",
    "RetryPolicy",
    "Task",
    "TaskArgumentsError",
    "TaskBackend",
    "TaskCall",
    "TaskDeclarationError",
    "TaskFailed",
    "TaskHandle",
    "TaskInfo",
    "TaskQueueFull",
    "TaskStore",
    "Tasks",
    "TasksNotStarted",
    "current_task",
    "installed_tasks",
]
