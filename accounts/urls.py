"""Routes of accounts, included under /accounts/ before allauth's own."""

from django.urls import path

from . import views

urlpatterns = [
    path("2fa/", views.two_factor, name="accounts_2fa"),
    path("2fa/qr.svg", views.qr_code, name="accounts_2fa_qr"),
    path("2fa/backup-codes/", views.backup_codes, name="accounts_2fa_backup_codes"),
    path("2fa/remove/", views.remove, name="accounts_2fa_remove"),
    path("2fa/verify/", views.verify, name="accounts_2fa_verify"),
    path("2fa/login/", views.login_code, name="accounts_2fa_login"),
    path("2fa/step-up/", views.step_up, name="accounts_2fa_step_up"),
    # allauth's, marking the browser as signed in now (accounts/stepup.py).
    path("reauthenticate/", views.reauthenticate, name="account_reauthenticate"),
    path("tokens/", views.api_tokens, name="accounts_tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_api_token, name="accounts_token_revoke"),
    path("invite/", views.invite, name="accounts_invite"),
    path("profile/", views.profile, name="accounts_profile"),
    # allauth's own pages that send mail, so that a failure to send is no 500 (accounts/mail.py).
    path("signup/", views.signup, name="account_signup"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path("email/", views.email, name="account_email"),
    # allauth's SAML routes that read the IdP's metadata: a 503 when it cannot be fetched.
    path("saml/<str:organization_slug>/login/", views.saml_login),
    path("saml/<str:organization_slug>/acs/finish/", views.saml_finish_acs),
    path("saml/<str:organization_slug>/sls/", views.saml_sls),
    path("saml/<str:organization_slug>/metadata/", views.saml_metadata),
]
