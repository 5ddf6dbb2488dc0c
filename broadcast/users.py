"""Panel accounts: creating them, roles, locking, passwords, API tokens, logging in and out.

Logins are revocable on the server: a login records the user's ``session_epoch`` and is only
honoured while it is unchanged; logging out and setting a new password bump it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcast import permissions, security, units
from broadcast.changes import Problems, audit
from broadcast.errors import BroadcastError, NotFound
from broadcast.models import Role, Unit, User

MIN_PASSWORD = 8
MAX_USERNAME = 80
MAX_FULL_NAME = 200
_dummy_hash: list[str] = []


def no_users(session: Session) -> bool:
    return session.scalar(select(func.count(User.id))) == 0


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không có người dùng #%(id)s.", id=user_id)
    return user


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BroadcastError("Vai trò không hợp lệ.") from None


def _check_password(problems: Problems, password: str, again: str | None) -> None:
    if len(password) < MIN_PASSWORD:
        problems.add("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD)
    if again is not None and again != password:
        problems.add("Hai lần nhập mật khẩu không khớp.")


def create_user(
    session: Session, *, username: str, role: str | Role, password: str, password2: str | None = None,
    full_name: str = "", actor: str, first_run: bool = False, unit: str = "",
) -> User:
    """A new account at the unit with code ``unit`` (default: the top unit), whose role applies
    there and below; every problem is reported at once (``Invalid``)."""
    problems = Problems()
    the_unit = _unit(session, unit, problems)
    username, full_name = username.strip(), full_name.strip()
    if not username or len(username) > MAX_USERNAME or not all(c.isalnum() or c in "._-" for c in username):
        problems.add("Tên đăng nhập chỉ gồm chữ, số và . _ - (tối đa 80 ký tự).")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.add("Tên đăng nhập đã có người dùng.")
    if len(full_name) > MAX_FULL_NAME:
        problems.add("Họ tên quá dài (tối đa 200 ký tự).")
    try:
        the_role = _role(role)
    except BroadcastError as exc:
        problems.keep(exc)
    _check_password(problems, password, password2)
    problems.check()
    assert the_unit is not None
    user = User(username=username, full_name=full_name, role=the_role,
                password_hash=security.hash_password(password), unit_id=the_unit.id)
    session.add(user)
    session.flush()
    detail = {"role": the_role.value, "unit": the_unit.code, **({"first_run": True} if first_run else {})}
    audit(session, actor or username, "user.create", username, **detail)
    return user


def _unit(session: Session, code: str, problems: Problems) -> Unit | None:
    try:
        unit = units.get(session, code) if code.strip() else units.root(session)
    except BroadcastError as exc:
        problems.keep(exc)
        return None
    if unit.merged_into_id is not None:
        problems.add("Đơn vị '%(code)s' đã được sáp nhập, hãy dùng đơn vị nó nhập vào.", code=unit.code)
    return unit


def set_unit(session: Session, user: User, unit: str, *, by: User | None, actor: str = "") -> None:
    """Move a user to another unit (its role then applies there). ``by`` (a panel user) may only
    move users within its own scope, to a unit within it."""
    problems = Problems()
    target = _unit(session, unit, problems)
    problems.check()
    assert target is not None
    if by is not None:
        permissions.require_scope(session, by, user.unit_id)
        permissions.require_scope(session, by, target.id)
        if user.id == by.id:
            raise BroadcastError("Không thể tự chuyển đơn vị của chính mình.")
    if target.id == user.unit_id:
        return
    before = units.get_by_id(session, user.unit_id).code if user.unit_id is not None else ""
    user.unit_id = target.id
    user.session_epoch += 1  # a login made under the old scope ends
    session.flush()
    audit(session, by.username if by else actor, "user.unit", user.username, before=before, after=target.code)


def set_role(session: Session, user: User, role: str | Role, *, by: User) -> None:
    new = _role(role)
    if user.id == by.id and new != Role.ADMIN:
        raise BroadcastError("Không thể tự bỏ quyền quản trị của chính mình.")
    if new == user.role:
        return
    audit(session, by.username, "user.role", user.username, before=user.role.value, after=new.value)
    user.role = new
    session.flush()


def toggle_active(session: Session, user: User, *, by: User) -> None:
    """Lock or unlock an account; a locked account's logins end at once."""
    if user.id == by.id:
        raise BroadcastError("Không thể tự khoá tài khoản của chính mình.")
    user.active = not user.active
    if not user.active:
        user.session_epoch += 1
    session.flush()
    audit(session, by.username, "user.active", user.username, active=user.active)


def reset_password(session: Session, user: User, password: str, *, actor: str, again: str | None = None) -> None:
    """A new password; every login made with the old one ends."""
    problems = Problems()
    _check_password(problems, password, again)
    problems.check()
    user.password_hash = security.hash_password(password)
    user.session_epoch += 1
    session.flush()
    audit(session, actor, "user.password", user.username)


def change_own_password(session: Session, user: User, *, current: str, password: str, again: str | None) -> None:
    """A user's new password, chosen by themselves: the current one must be right, the same rules
    as an administrator's reset apply, and every other login of theirs ends (the caller keeps its
    own login by taking the new ``session_epoch``)."""
    problems = Problems()
    if not security.verify_password(current, user.password_hash):
        problems.add("Mật khẩu hiện tại không đúng.")
    elif current == password:
        problems.add("Mật khẩu mới phải khác mật khẩu hiện tại.")
    _check_password(problems, password, again)
    problems.check()
    user.password_hash = security.hash_password(password)
    user.session_epoch += 1
    session.flush()
    audit(session, user.username, "user.password.self", user.username)


def issue_api_token(session: Session, user: User, *, actor: str) -> str:
    """A new API token, returned once (only its hash is kept); the old one stops working."""
    token = security.new_token()
    user.api_token_hash = security.hash_token(token)
    session.flush()
    audit(session, actor, "user.api_token", user.username)
    return token


def _dummy() -> str:
    """A hash made with today's parameters, checked for unknown names so that they take as long
    as known ones (no way to learn which names exist by timing the login)."""
    if not _dummy_hash or security.password_needs_rehash(_dummy_hash[0]):
        _dummy_hash[:] = [security.hash_password("loa-no-such-user")]
    return _dummy_hash[0]


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. Always checks one argon2 hash."""
    username = username.strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    ok = security.verify_password(password, user.password_hash if user is not None else _dummy())
    if user is None or not ok or not user.active:
        return None
    if security.password_needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
        session.flush()
    return user


def end_sessions(session: Session, user: User) -> None:
    """Log the user out everywhere (logout): logins made before this are no longer honoured."""
    user.session_epoch += 1
    session.flush()
