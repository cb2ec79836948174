"""Account pages beside allauth's: the second factor (/accounts/2fa/...), API tokens, invites,
the profile (/accounts/profile/) and the People page of user managers (/people/).

Views parse the request and pick the template; the rules are in otp.py, invites.py and
profiles.py.
"""

from __future__ import annotations

from functools import wraps

from allauth.account import views as allauth_views
from allauth.account.stages import LoginStageController
from allauth.socialaccount.providers.saml import views as saml_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from accounts import tokens
from site_model.acl import Who
from site_model.loader import current_site

from . import invites, otp, profiles, saml, stepup
from .adapter import SecondFactorStage
from .forms import CodeForm, InviteForm, PersonForm, SetupCodeForm, TokenForm
from .identity import identity_for, who_for
from .mail import MAIL_NOT_SENT, MailNotSent, MailOrNothingMixin
from .redirects import safe_next


def next_url(request, default: str | None = None) -> str:
    """The `next` parameter when it points into this site, else `default` (None: the home page)."""
    candidate = safe_next(request)
    if candidate:
        return candidate
    return settings.LOGIN_REDIRECT_URL if default is None else default


# --- the login step ----------------------------------------------------------------------------


@never_cache
def login_code(request):
    """The second step of a login (password or social) for a user with a second factor."""
    if request.user.is_authenticated:
        return redirect(next_url(request))
    stage = LoginStageController.enter(request, SecondFactorStage.key)
    if stage is None:
        return redirect("account_login")
    if request.method == "POST" and "cancel" in request.POST:
        return stage.abort()
    user = stage.login.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = otp.verify_code(user, form.cleaned_data["code"], request=request)
        except otp.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            # django-otp keeps `user.otp_device` in the session when allauth logs the user in.
            user.otp_device = device
            return stage.exit()
    return render(request, "accounts/login_code.html", {"form": form})


# --- the second factor, for a signed-in user ----------------------------------------------------


@never_cache
@login_required
def two_factor(request):
    """/accounts/2fa/: the device and backup codes, or the set-up of a new device."""
    user = request.user
    device = otp.confirmed_totp(user)
    if device is not None:
        if not user.is_verified():
            return redirect("accounts_2fa_verify")
        return render(
            request,
            "accounts/2fa.html",
            {"device": device, "backup_codes_left": otp.backup_codes_left(user)},
        )
    setup = otp.start_setup(user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = otp.confirm_setup(user, form.cleaned_data["code"], request=request)
        except otp.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            passed_second_factor(request, device)
            messages.success(request, _("Your second factor is set up."))
            return show_backup_codes_once(request, codes)
    context = {
        "form": form,
        "key": setup.key,
        "otpauth_url": setup.url,
        "next": next_url(request, ""),
    }
    return render(request, "accounts/2fa_setup.html", context)


BACKUP_CODES_SESSION_KEY = "accounts_new_backup_codes"


def show_backup_codes_once(request, codes: list[str]):
    """POST/redirect/GET: the codes wait in the session for the GET after the redirect, which
    shows them once and forgets them (otp_static keeps them to check codes; no page shows them
    again), so a reload neither makes new codes nor shows these again."""
    request.session[BACKUP_CODES_SESSION_KEY] = codes
    url = reverse("accounts_2fa_backup_codes")
    target = next_url(request, "")
    return redirect(f"{url}?{urlencode({'next': target})}" if target else url)


@never_cache
@login_required
def qr_code(request):
    """The QR code of the device being set up (never of a confirmed one)."""
    if otp.confirmed_totp(request.user) is not None:
        raise Http404("no second factor is being set up")
    setup = otp.start_setup(request.user)
    return HttpResponse(otp.qr_svg(setup.url), content_type="image/svg+xml")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """POST: replace the backup codes with new ones; GET (after the redirect): show new codes
    once. A GET with none waiting goes back to the second-factor page."""
    if otp.confirmed_totp(request.user) is None:
        messages.error(request, _("Set up a second factor first."))
        return redirect("accounts_2fa")
    if not request.user.is_verified():
        return redirect("accounts_2fa_verify")
    if request.method == "GET":
        codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
        if not codes:
            return redirect("accounts_2fa")
        return render(
            request, "accounts/backup_codes.html", {"codes": codes, "next": next_url(request, "")}
        )
    codes = otp.regenerate_backup_codes(request.user)
    messages.success(request, _("New backup codes made; the old ones no longer work."))
    return show_backup_codes_once(request, codes)


@never_cache
@login_required
def remove(request):
    """Remove the second factor, after a code from it."""
    if otp.confirmed_totp(request.user) is None:
        return redirect("accounts_2fa")
    if not request.user.is_verified():
        return redirect("accounts_2fa_verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp.remove_device(request.user, form.cleaned_data["code"], request=request)
        except otp.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Your second factor is removed."))
            return redirect("accounts_2fa")
    return render(request, "accounts/2fa_remove.html", {"form": form})


@never_cache
@login_required
def verify(request):
    """A signed-in session that has not passed the second factor yet passes it here."""
    if request.user.is_verified():
        return redirect(next_url(request))
    if otp.confirmed_totp(request.user) is None:
        return redirect("accounts_2fa")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = otp.verify_code(request.user, form.cleaned_data["code"], request=request)
        except otp.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            passed_second_factor(request, device)
            return HttpResponseRedirect(next_url(request))
    return render(
        request, "accounts/2fa_verify.html", {"form": form, "next": next_url(request, "")}
    )


def passed_second_factor(request, device) -> None:
    """django-otp's mark of a verified session, and the time of the code (step-up)."""
    otp_login(request, device)
    stepup.second_factor_given(request)


@never_cache
@login_required
def step_up(request):
    """A code again, for a block or action that wants one within minutes (contract §11):
    then back to `next`. The same limit on wrong codes as at sign-in."""
    if otp.confirmed_totp(request.user) is None:
        return redirect(f"{reverse('accounts_2fa')}?{urlencode({'next': next_url(request, '')})}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            stepup.step_up(request.user, form.cleaned_data["code"], request=request)
        except otp.CodeRefused as refused:
            form.add_error("code", str(refused))
            status = 429 if refused.too_many else 400
        else:
            return HttpResponseRedirect(next_url(request))
    context = {"form": form, "next": next_url(request, "")}
    return render(request, "accounts/2fa_step_up.html", context, status=status)


class ReauthenticateView(allauth_views.ReauthenticateView):
    """allauth's password check for a signed-in user; it counts as a sign-in in this browser.
    A user without a password (Google, SAML, ... only) signs out and in again instead."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.has_usable_password():
            login = f"{reverse('account_login')}?{urlencode({'next': next_url(request)})}"
            return render(request, "account/sign_in_again.html", {"login_again": login})
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        stepup.signed_in(self.request)
        return super().form_valid(form)


reauthenticate = ReauthenticateView.as_view()


# --- API tokens --------------------------------------------------------------------------------

ACCOUNT_PAGE = "on the account page"  # how a token was made or revoked, for the audit trail


SHOWN_ONCE_SESSION_KEY = "accounts_new_token"


@never_cache
@login_required
def api_tokens(request):
    """The token list and the form for a new one. A created token answers with a redirect
    (POST/redirect/GET: a reload makes no second token); the GET after it shows the new token
    once, from the session, which forgets it as it is shown."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_token = tokens.create_token(
            request.user, name=form.cleaned_data["name"], request=request, via=ACCOUNT_PAGE
        )
        request.session[SHOWN_ONCE_SESSION_KEY] = new_token
        messages.success(request, _("Token created. Copy it now: it is shown only once."))
        return redirect("accounts_tokens")
    context = {
        "tokens": list(tokens.list_tokens(request.user)),
        "form": form,
        "new_token": request.session.pop(SHOWN_ONCE_SESSION_KEY, None)
        if request.method == "GET"
        else None,
    }
    return render(request, "accounts/tokens.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def revoke_api_token(request, token_id: int):
    """GET: the question, naming the token (programs using it will stop); POST: revoked."""
    if request.method == "GET":
        token = tokens.list_tokens(request.user).filter(pk=token_id).first()
        if token is None:
            raise Http404("no such token")
        return render(request, "accounts/token_revoke.html", {"token": token})
    if not tokens.revoke_token(request.user, token_id, request=request, via=ACCOUNT_PAGE):
        raise Http404("no such token")
    messages.success(request, _("Token revoked."))
    return redirect("accounts_tokens")


# --- user managers -----------------------------------------------------------------------------


@never_cache
@login_required
def invite(request):
    who = who_for(request.user)
    user_managers = current_site().settings.user_managers
    if not invites.is_user_manager(who, user_managers):
        raise PermissionDenied(_("Only user managers may invite users."))
    form = InviteForm(request.POST or None, group_choices=invites.grantable_groups(who))
    if request.method == "POST" and sent_invitation(request, who, form):
        return redirect("accounts_invite")
    return render(request, "accounts/invite.html", {"form": form})


def sent_invitation(request, who: Who, form: InviteForm) -> bool:
    """Invite the user `form` names (a bound InviteForm), into groups `who` holds; the
    refusal as the form's error. The invitation page's and the People page's."""
    if not form.is_valid():
        return False
    try:
        invites.invite_user(
            manager=who,
            user_managers=current_site().settings.user_managers,
            email=form.cleaned_data["email"],
            groups=form.cleaned_data["groups"],
            request=request,
        )
    except invites.InviteRefused as refused:
        form.add_error(None, str(refused))
        return False
    messages.success(
        request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
    )
    return True


# --- allauth's pages that send mail (accounts/mail.py) -----------------------------------------


class SignupView(MailOrNothingMixin, allauth_views.SignupView):
    pass


class PasswordResetView(MailOrNothingMixin, allauth_views.PasswordResetView):
    pass


class EmailView(MailOrNothingMixin, allauth_views.EmailView):
    def post(self, request, *args, **kwargs):
        # "Re-send verification" runs outside form_valid.
        try:
            return super().post(request, *args, **kwargs)
        except MailNotSent:
            messages.error(request, MAIL_NOT_SENT)
            return HttpResponseRedirect(self.get_success_url())


signup = SignupView.as_view()
password_reset = PasswordResetView.as_view()
email = EmailView.as_view()


# --- allauth's SAML routes that need the IdP's metadata (accounts/saml.py) ---------------------


def saml_unavailable(request, name: str, *, page: bool) -> HttpResponse:
    """503: the IdP cannot be reached; what went wrong is in the log, not here."""
    if page:
        response = render(request, "accounts/saml_unavailable.html", {"name": name}, status=503)
    else:
        response = HttpResponse(
            _(
                "%(name)s: the company's sign-in service cannot be reached right now. "
                "Please try again later."
            )
            % {"name": name}
            + "\n",
            content_type="text/plain; charset=utf-8",
            status=503,
        )
    response["Retry-After"] = str(saml.RETRY_AFTER)
    return response


def with_idp_metadata(view, *, page: bool = True):
    """allauth's SAML `view`, once the IdP's metadata is at hand; else a 503 (`page`: HTML)."""

    @wraps(view)
    def checked(request, organization_slug):
        config = current_site().settings.saml
        if config is not None and config.slug == organization_slug:
            try:
                saml.fetch_remote_metadata(config)
            except saml.IdpUnreachable:
                return saml_unavailable(request, config.name, page=page)
        return view(request, organization_slug=organization_slug)

    return checked


saml_login = with_idp_metadata(saml_views.login)
saml_finish_acs = with_idp_metadata(saml_views.finish_acs)
saml_sls = with_idp_metadata(saml_views.sls)
saml_metadata = with_idp_metadata(saml_views.metadata, page=False)


# --- profile fields (settings.yaml `users`) -------------------------------------------------


@never_cache
@login_required
def profile(request):
    """The user's profile values: every declared field shown, those of `users.self_edit`
    editable. A POST naming any other profile field is refused (403), not dropped."""
    site_settings = current_site().settings
    fields, editable = site_settings.profile_fields, site_settings.self_edit
    values = identity_for(request.user).profile
    form_class = profiles.profile_form_class(fields, editable)
    form = form_class(request.POST or None, initial=values)
    if request.method == "POST":
        locked = sorted(name for name in fields if name in request.POST and name not in editable)
        if locked:
            raise PermissionDenied(
                _("You may not change these fields yourself: %(fields)s.")
                % {"fields": ", ".join(locked)}
            )
        if form.is_valid():
            try:
                profiles.profile_save(user=request.user, fields=fields, changes=form.cleaned_data)
            except profiles.ProfileInvalid as exc:
                for name, problem in profiles.problems_shown(fields, exc).items():
                    form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, _("Profile saved."))
                return redirect("accounts_profile")
    shown = [
        (element.label, element.display(values.get(name)) if name in values else "")
        for name, element in fields.items()
        if name not in editable
    ]
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {"form": form, "shown": shown}, status=status)


def _manager(request) -> Who:
    who = who_for(request.user)
    if not invites.is_user_manager(who, current_site().settings.user_managers):
        raise PermissionDenied(_("Only user managers may see the people of the site."))
    return who


PEOPLE_PAGE = 50


@never_cache
@login_required
def people(request):
    """User managers' list of users: search by name or address, each user's groups and
    profile values, a link to change them, and a form inviting a user (POST) into groups
    the manager holds."""
    who = _manager(request)
    invite_form = InviteForm(
        request.POST or None, group_choices=invites.grantable_groups(who), prefix="invite"
    )
    if request.method == "POST" and sent_invitation(request, who, invite_form):
        return redirect("people")
    fields = current_site().settings.profile_fields
    query = request.GET.get("q", "").strip()[:100]
    rows = profiles.people_list(query=query, fields=fields, limit=PEOPLE_PAGE)
    context = {
        "rows": rows,
        "query": query,
        "fields": fields.values(),
        "limit": PEOPLE_PAGE,
        "form": invite_form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/people.html", context, status=status)


@never_cache
@login_required
def person(request, username: str):
    """One user's profile values and groups, set by a user manager within what they hold."""
    who = _manager(request)
    fields = current_site().settings.profile_fields
    user = profiles.person(username)
    if user is None:
        raise Http404("no such user")
    values = profiles.stored_values(user)
    current_groups = sorted(user.groups.values_list("name", flat=True))
    choices = sorted(set(invites.grantable_groups(who)) | set(current_groups))
    form_class = profiles.profile_form_class(fields, fields)
    form = PersonForm.build(form_class, request.POST or None, values, current_groups, choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = {name: form.cleaned_data.get(name) for name in fields}
            try:
                profiles.manager_update(
                    manager=who,
                    user=user,
                    fields=fields,
                    changes=changes,
                    groups=list(form.cleaned_data["groups"]),
                )
            except profiles.ProfileRefused as refused:
                raise PermissionDenied(str(refused)) from None
            except profiles.ProfileInvalid as exc:
                for name, problem in profiles.problems_shown(fields, exc).items():
                    form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, _("%(user)s saved.") % {"user": user.get_username()})
                return redirect("people")
    context = {"form": form, "person": user}
    return render(request, "accounts/person.html", context, status=status)
